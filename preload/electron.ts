// The preload script Electron runs (bundled to dist/app/preload.cjs: a sandboxed preload cannot load ES modules).
import { contextBridge, ipcRenderer } from 'electron';
import { exposeAuthtrayApi } from './index.js';

exposeAuthtrayApi(contextBridge, ipcRenderer);
