/** Small pieces of what the command says, shared by its modules: a line, Ctrl-C, and times as a person reads them. */

/** Writes one line. */
export const line = (stream: NodeJS.WritableStream, text: string): boolean => stream.write(`${text}\n`);

/** Ctrl-C: the person stopped the command. Exit 130 (128 + SIGINT), one line, nothing left half done. */
export class Interrupted extends Error {
  constructor(message = 'Cancelled (Ctrl-C).') {
    super(message);
    this.name = 'Interrupted';
  }
}

const pad = (n: number) => String(n).padStart(2, '0');

/** Local wall-clock time, HH:MM; with the local date (YYYY-MM-DD HH:MM) when it is not today. */
export function localTime(date: Date, now = new Date()): string {
  const time = `${pad(date.getHours())}:${pad(date.getMinutes())}`;
  const sameDay = date.getFullYear() === now.getFullYear() && date.getMonth() === now.getMonth() && date.getDate() === now.getDate();
  return sameDay ? time : `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${time}`;
}
