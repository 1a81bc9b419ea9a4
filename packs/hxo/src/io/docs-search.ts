import { LilyError } from 'lily';
import MiniSearch, { type Options } from 'minisearch';

/** A markdown doc as the index sees it. */
export interface IndexedDoc {
  id: string;
  route: string;
  title: string;
  headings: string;
  text: string;
}

export const DOCS_INDEX_OPTIONS: Options<IndexedDoc> = {
  fields: ['title', 'headings', 'text'],
  storeFields: ['route', 'title'],
  searchOptions: { boost: { title: 3, headings: 2 }, prefix: true, fuzzy: 0.2 },
};

/** The saved form of one route group's index (the docs_index artifact). */
export interface DocsIndexFile {
  format: 'hxo.docs-index';
  version: 1;
  route: string;
  index: ReturnType<MiniSearch<IndexedDoc>['toJSON']>;
}

/** Builds a MiniSearch index over the docs (added in the given order) and its saved form. */
export const buildDocsIndex = (route: string, docs: readonly IndexedDoc[]) => {
  const search = new MiniSearch<IndexedDoc>(DOCS_INDEX_OPTIONS);
  search.addAll(docs);
  const file: DocsIndexFile = { format: 'hxo.docs-index', version: 1, route, index: search.toJSON() };
  return { file, terms: search.termCount };
};

export interface DocsHit {
  /** The doc's workspace path. */
  id: string;
  route: string;
  title: string;
  score: number;
}

/**
 * Queries a saved docs index (the artifact's JSON text or parsed object). Throws
 * `artifact_data_invalid` when the value is not a docs index.
 *
 * @example
 * const hits = searchDocsIndex(await readFile(path, 'utf8'), 'retry backoff');
 */
export const searchDocsIndex = (json: string | DocsIndexFile, query: string, limit = 10): DocsHit[] => {
  const file = (typeof json === 'string' ? JSON.parse(json) : json) as Partial<DocsIndexFile>;
  if (file?.format !== 'hxo.docs-index' || typeof file.index !== 'object')
    throw new LilyError('artifact_data_invalid', 'not an hxo docs index', { format: file?.format ?? null });
  const search = MiniSearch.loadJS<IndexedDoc>(file.index, DOCS_INDEX_OPTIONS);
  return search
    .search(query)
    .slice(0, limit)
    .map((r) => ({ id: String(r.id), route: String(r.route), title: String(r.title), score: r.score }));
};
