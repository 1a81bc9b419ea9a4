export interface Note {
  id: string;
  title: string;
  body: string;
  tags: string[];
  updatedAt: string;
}

export interface NotePage {
  notes: Note[];
  next?: string;
}
