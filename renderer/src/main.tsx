import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { commandBuffer } from './commands.js';
import './styles.css';

const api = window.authtray;
const commands = commandBuffer(api);
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App api={api} commands={commands} />
  </StrictMode>,
);
