/** Where one partition's worker stands: written once per worker step. */
export interface PartitionProgress {
  /** Archive entries this partition has counted. */
  readonly events: number;
  /** Arrival time of the first and the latest entry counted; null before any. */
  readonly firstArrivedAt: number | null;
  readonly reachedArrivedAt: number | null;
  readonly done: boolean;
}

/** One backfill execution on AWS: what the recompute started, and how far its workers are. */
export interface BackfillRun {
  readonly generation: number;
  /** The Step Functions execution name: derived from the generation, so a retried start is the same one. */
  readonly executionName: string;
  /** The namespaces it fills. */
  readonly scopes: readonly string[];
  readonly startedAt: number;
  /** Entries that arrived up to this time are read from the archive; later ones live ingest counts. */
  readonly cut: number;
  readonly partitions: number;
  /** Entries the partition step wrote into partitions so far. */
  readonly partitioned: number;
  readonly progress: Readonly<Record<string, PartitionProgress>>;
  /** When the finish step recorded that every partition reached the cut. */
  readonly doneAt?: number;
}

export type NewBackfillRun = Omit<BackfillRun, 'partitioned' | 'progress' | 'doneAt'>;

/** The backfill runs' records, one item per generation beside the registry. */
export interface BackfillRuns {
  readRun(generation: number): Promise<BackfillRun | undefined>;
  /** Records a run unless one is recorded for the generation; returns the one that stands. */
  createRun(run: NewBackfillRun): Promise<BackfillRun>;
  addPartitioned(generation: number, entries: number): Promise<void>;
  recordProgress(generation: number, partition: number, progress: PartitionProgress): Promise<void>;
  finishRun(generation: number, at: number): Promise<void>;
}

/** Starts the backfill state machine. */
export interface BackfillExecutions {
  /** Starting the same name with the same input again is not a second execution. */
  start(name: string, input: BackfillExecutionInput): Promise<void>;
}

/** What the state machine is started with. */
export interface BackfillExecutionInput {
  readonly generation: number;
  readonly run: string;
  readonly cut: number;
  /** ISO time the listing waits for: the cut plus Firehose's delivery, so every object up to the cut is there. */
  readonly listAfter: string;
  /** The partitions' numbers, which the map over partitions iterates, and how many there are. */
  readonly partitions: readonly number[];
  readonly partitionCount: number;
  /** Finished history imports it reads (`history/<id>/`) besides the archive. */
  readonly imports: readonly string[];
}
