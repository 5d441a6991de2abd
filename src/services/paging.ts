/** Keyset paging as every list of the services offers it: a page, its total, the next cursor. */
export {
  decodeCursor,
  encodeCursor,
  type Page,
} from "../store/events-repository.js";

/** Which page: at most `limit` items after the id `after` (the decoded cursor), newest first. */
export interface PageRequest {
  limit: number;
  after?: string;
}
