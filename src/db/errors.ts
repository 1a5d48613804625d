/** Errors any engine raises that interfaces recognise by class (engine-neutral). */

/** No database at the location yet (or a file that is not one yet): `init` creates it. */
export class DatabaseMissingError extends Error {
  override name = 'DatabaseMissingError';
}
