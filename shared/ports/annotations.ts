import type { Grain } from '../domain/config/schema.js';

/** A span an owner marked at run time ("campaign launch", "outage"): SEMANTICS.md section 12. */
export interface Annotation {
  readonly id: string;
  readonly label: string;
  /** The span [from, to), epoch ms. */
  readonly from: number;
  readonly to: number;
  /** The metrics it marks; every metric when absent. */
  readonly metrics?: readonly string[];
  /** The grains whose periods it marks. */
  readonly grains: readonly Grain[];
  /** Who added it, as the read API knows the caller. */
  readonly by?: string;
  readonly at: number;
}

export interface Annotations {
  /** Stores it, replacing one of the same id. */
  putAnnotation(annotation: Annotation): Promise<void>;
  /** Every annotation, in the order of their spans. */
  listAnnotations(): Promise<Annotation[]>;
  /** Removes it; false when there was none of that id. */
  removeAnnotation(id: string): Promise<boolean>;
}
