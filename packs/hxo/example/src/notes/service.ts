import { noteId } from '../core/ids.js';
import type { Logger } from '../core/log.js';
import { NoteStore } from './store.js';
import type { Note } from './types.js';

export interface NewNote {
  title: string;
  body: string;
  tags?: string[];
}

/** Creates, reads and lists notes; every write is logged. */
export const noteService = (log: Logger, now: () => Date) => {
  const store = new NoteStore();
  let counter = 0;
  return {
    create(input: NewNote): Note {
      const at = now();
      const note: Note = {
        id: noteId(at.getTime(), counter++ % 1024),
        title: input.title.trim(),
        body: input.body,
        tags: [...new Set(input.tags ?? [])].sort(),
        updatedAt: at.toISOString(),
      };
      store.put(note);
      log.log('info', 'note created', { id: note.id, tags: note.tags.length });
      return note;
    },
    get: (id: string) => store.get(id),
    list: (after: string | undefined, size: number) => store.page(after, size),
  };
};

export type NoteService = ReturnType<typeof noteService>;
