/** A message given up on after its receives. */
export interface DeadLetter {
  readonly messageId: string;
  readonly deadLetteredAt: string;
  readonly body: string;
  readonly error: string;
  readonly receives: number;
}

/** The local runtime's dead-letter queue; in AWS it is the ingest queue's SQS dead-letter queue. */
export interface DeadLetters {
  putDeadLetter(letter: DeadLetter): Promise<void>;
  /** Newest first. */
  listDeadLetters(): Promise<DeadLetter[]>;
}
