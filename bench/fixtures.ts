/** The PostgreSQL server the benchmarks make their scratch databases on. */
export const BENCH_SERVER_URL = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL
  ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** The rooms of the seeded devices (bench:storage, bench:report), one DHT22 each. */
export const ROOMS = [
  'living-room', 'bedroom', 'kitchen', 'bathroom', 'attic', 'cellar', 'garage', 'office', 'nursery', 'greenhouse',
];
