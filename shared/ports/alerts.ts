import type { DeviationAlert } from '../domain/alerts/deviation-alert.js';

/** An on-call owner's note on an alert: who, why, when. */
/** The owner's judgement of an alert: a real problem, an expected move (a holiday, a campaign), or noise. */
export const ALERT_VERDICTS = ['real', 'expected', 'noise'] as const;
export type AlertVerdict = (typeof ALERT_VERDICTS)[number];

export interface AlertAcknowledgement {
  readonly by: string;
  readonly note: string;
  readonly at: number;
  readonly verdict?: AlertVerdict;
}

/** Where an alert sits: its period start, definition version and grain (as stored). */
export interface AlertKey {
  readonly periodStart: string;
  readonly metric: { readonly definitionVersion: string };
  readonly grain: string;
}

export interface StoredAlert {
  readonly alert: DeviationAlert;
  /** The recompute's state; an acknowledgement does not change it, so a resolution still applies. */
  readonly state: 'open' | 'resolved';
  readonly acknowledgement?: AlertAcknowledgement;
  /** Which of its events reached the bus: the outbox for a crash between the write and the send. */
  readonly sent: { readonly detected: boolean; readonly resolved: boolean };
  /** When it was raised and, once resolved, when and with which numbers. */
  readonly raisedAt: number;
  readonly resolvedAt?: number;
  readonly resolution?: DeviationAlert;
}

/** One record per (metric version, grain, period): the once-only rule and the outbox of the bus. */
export interface Alerts {
  getAlert(key: AlertKey): Promise<StoredAlert | undefined>;
  /** Records an alert unless one exists for its metric, grain and period: true when this call made it. */
  openAlert(alert: DeviationAlert, at: number): Promise<boolean>;
  /** Moves an open alert to resolved: true when this call did it. */
  resolveAlert(alert: DeviationAlert, at: number): Promise<boolean>;
  /**
   * Records an owner's acknowledgement on an existing alert with this id, open or resolved; a
   * later one replaces it. Returns the alert as stored now, or undefined when there is none.
   */
  acknowledgeAlert(
    key: AlertKey,
    alertId: string,
    acknowledgement: AlertAcknowledgement,
  ): Promise<StoredAlert | undefined>;
  /** Notes that the alert's event (detected or resolved, by its kind) reached the bus. */
  markSent(alert: DeviationAlert): Promise<void>;
  /** Alerts whose periods start in [from, to] (ISO times), oldest first. */
  listAlerts(from: string, to: string): Promise<StoredAlert[]>;
  /** Events recorded before `before` for periods in [from, to] but not yet on the bus. */
  unsentAlerts(from: string, to: string, before: number): Promise<DeviationAlert[]>;
}
