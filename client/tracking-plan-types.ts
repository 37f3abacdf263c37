/**
 * Types of `track()` derived from a configuration written with `defineConfig`, whose
 * event and property names stay literal: an unknown event, a missing required property,
 * an unknown property or a value of the wrong type does not compile.
 */

type PropertyValue<P> = P extends { type: 'string' }
  ? string
  : P extends { type: 'number' }
    ? number
    : P extends { type: 'boolean' }
      ? boolean
      : P extends { type: 'enum'; values: readonly (infer V)[] }
        ? V
        : never;

type RequiredNames<Props> = {
  [K in keyof Props]: Props[K] extends { required: true } ? K : never;
}[keyof Props];

type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** The properties of one event definition: required ones required, the others optional. */
export type PropertiesOf<Definition> = Definition extends { properties: infer Props }
  ? Simplify<
      { [K in RequiredNames<Props>]: PropertyValue<Props[K]> } & {
        [K in Exclude<keyof Props, RequiredNames<Props>>]?: PropertyValue<Props[K]>;
      }
    >
  : Record<string, never>;

/** What a configuration's tracking plan offers; any string and any properties for an untyped tracker. */
export interface AnyPlanConfig {
  readonly trackingPlan: { readonly events: Readonly<Record<string, unknown>> };
}

type PlanEvents<C> = C extends { trackingPlan: { events: infer E } } ? E : never;

export type EventName<C> = string extends keyof PlanEvents<C> ? string : keyof PlanEvents<C> & string;

export type EventProperties<C, N extends string> = string extends keyof PlanEvents<C>
  ? Readonly<Record<string, unknown>>
  : N extends keyof PlanEvents<C>
    ? PropertiesOf<PlanEvents<C>[N]>
    : never;
