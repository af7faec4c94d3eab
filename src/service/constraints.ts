/**
 * Type constraint tags, read by the generator and turned into schema options:
 * `title: string & t.MaxLength<140>`, `age: number & t.Minimum<0>`. They add nothing at runtime and
 * a plain `string` or `number` is assignable to a tagged one.
 *
 * @module
 */

declare const constraint: unique symbol

/** Phantom marker the generator reads; never present on real values. */
export interface Constraint<TOptions extends object> {
  readonly [constraint]?: TOptions
}

/** Strings: at least `N` characters. */
export type MinLength<N extends number> = Constraint<{ minLength: N }>
/** Strings: at most `N` characters. */
export type MaxLength<N extends number> = Constraint<{ maxLength: N }>
/** Strings: match the regular expression source `P` (no flags). */
export type Pattern<P extends string> = Constraint<{ pattern: P }>
/** Strings: a JSON Schema format such as `email`, `uri`, `uuid`, `date-time`. */
export type Format<F extends string> = Constraint<{ format: F }>
/** Numbers: `>= N`. */
export type Minimum<N extends number> = Constraint<{ minimum: N }>
/** Numbers: `<= N`. */
export type Maximum<N extends number> = Constraint<{ maximum: N }>
/** Numbers: `> N`. */
export type ExclusiveMinimum<N extends number> = Constraint<{ exclusiveMinimum: N }>
/** Numbers: `< N`. */
export type ExclusiveMaximum<N extends number> = Constraint<{ exclusiveMaximum: N }>
/** Numbers: a multiple of `N` (`MultipleOf<1>` means an integer). */
export type MultipleOf<N extends number> = Constraint<{ multipleOf: N }>
/** Arrays: at least `N` items. */
export type MinItems<N extends number> = Constraint<{ minItems: N }>
/** Arrays: at most `N` items. */
export type MaxItems<N extends number> = Constraint<{ maxItems: N }>
/** Arrays: no two items equal. */
export type UniqueItems = Constraint<{ uniqueItems: true }>
/** Objects: at least `N` properties. */
export type MinProperties<N extends number> = Constraint<{ minProperties: N }>
/** Objects: at most `N` properties. */
export type MaxProperties<N extends number> = Constraint<{ maxProperties: N }>
