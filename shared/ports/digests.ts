import type { ReviewDigest } from '../domain/review/review-digest.js';

/** Where a digest sits: its team, cadence and review period. */
export interface DigestKey {
  readonly team: string;
  readonly cadence: string;
  readonly period: string;
  /** The review period's end (ISO): digests are kept in its order. */
  readonly periodEnd: string;
}

export interface StoredDigest {
  readonly digest: ReviewDigest;
  readonly recordedAt: number;
  /** Whether its event reached the bus: the outbox for a crash between the write and the send. */
  readonly sent: boolean;
}

/** One record per (team, cadence, review period): the once-only rule and the outbox of the bus. */
export interface Digests {
  /** Records a digest unless one exists for its team, cadence and period: true when this call made it. */
  recordDigest(digest: ReviewDigest, at: number): Promise<boolean>;
  getDigest(key: DigestKey): Promise<StoredDigest | undefined>;
  markDigestSent(key: DigestKey): Promise<void>;
  /** Digests of review periods that ended in [from, to] (ISO), newest first; of one team when given. */
  listDigests(from: string, to: string, team?: string): Promise<StoredDigest[]>;
  /** Digests recorded before `before` for periods that ended in [from, to] but not yet on the bus. */
  unsentDigests(from: string, to: string, before: number): Promise<ReviewDigest[]>;
}
