/**
 * Which engine a location names, without loading either engine: a postgres:// or postgresql://
 * URL, or `postgres:` (PG* environment), is PostgreSQL; anything else is a SQLite path.
 */
export function isPostgresLocation(location: string): boolean {
  return /^postgres(ql)?:/i.test(location);
}
