import { isNoteId } from '../core/ids.js';
import type { Note, NotePage } from './types.js';

/** The notes of one process, ordered by id (ids sort by creation time). */
export class NoteStore {
  readonly #notes = new Map<string, Note>();

  put(note: Note): void {
    if (!isNoteId(note.id)) throw new Error(`invalid note id ${note.id}`);
    this.#notes.set(note.id, note);
  }

  get(id: string): Note | undefined {
    return this.#notes.get(id);
  }

  page(after: string | undefined, size: number): NotePage {
    const ids = [...this.#notes.keys()].sort().filter((id) => after === undefined || id > after);
    const notes = ids.slice(0, size).map((id) => this.#notes.get(id) as Note);
    const last = notes.at(-1);
    return ids.length > size && last ? { notes, next: last.id } : { notes };
  }
}
