// Package query implements the filter language of `git exp ... --where EXPR`:
// conditions over an experiment's parameters, results and metadata, such as
//
//	lr > 0.01 and results.acc >= 0.9
//	model.name == "resnet" or not (opt == "sgd")
//	bs in [32, 64] and tags == "best" and name ~ "ablation-*"
//
// Parse compiles an expression once; Expr.Eval then tests records cheaply
// (no allocation for plain comparisons), so filtering 100,000 experiments
// takes a few milliseconds.
//
// # Grammar
//
// In EBNF (keywords are case-insensitive; "&&", "||" and "!" are accepted
// for "and", "or" and "not"):
//
//	expr    = or ;
//	or      = and { "or" and } ;
//	and     = not { "and" not } ;
//	not     = "not" not | cmp ;
//	cmp     = primary [ compare value | [ "not" ] "in" list | "~" string ] ;
//	compare = "==" | "!=" | "<" | "<=" | ">" | ">=" ;
//	primary = "(" expr ")" | name ;
//	name    = segment { "." segment } ;        (no spaces around the dots)
//	segment = ident | "`" { any char but "`" } "`" ;
//	ident   = ( letter | "_" ) { letter | digit | "_" | "-" } ;
//	value   = number | string | "true" | "false" | "null" ;
//	list    = "[" [ value { "," value } ] "]" ;
//	number  = [ "+" | "-" ] ( digits [ "." { digit } ] | "." digits ) [ exponent ] ;
//	exponent = ( "e" | "E" ) [ "+" | "-" ] digits ;
//	string  = '"' { char | escape } '"' | "'" { char | escape } "'" ;
//	escape  = "\" ( "n" | "t" | "r" | "\" | '"' | "'" | "x" hex hex | "u" hex*4 | ... ) ;   (Go's escapes)
//
// Precedence, loosest first: or, and, not, comparison; so
// `a or b and not c == 1` means `a or (b and (not (c == 1)))`. Values are
// literals only: a name cannot be compared with another name. A segment after
// a dot may start with a digit (`layers.0`) and may be a keyword (`meta.in`);
// names that are keywords or contain other characters are written in
// backticks (`odd key`). A parenthesized expression cannot be compared.
//
// # Names
//
// "params.x", "results.x" and "meta.x" look in one place; an unqualified name
// looks in the params, then the results, then the metadata (id, name, status,
// tags, created, ...: the names of results.Fields). Dotted paths descend into nested maps and, by index,
// lists; a flat key containing dots ("model.name") matches too. See Lookup.
//
// # Semantics
//
//   - Comparisons are typed. Numbers compare numerically, ints and floats
//     together (exactly), so a parameter stored as 1 in one experiment and 1.0
//     in another behaves the same. Strings compare as strings (so RFC 3339
//     dates such as meta.created compare chronologically when in one time
//     zone): created >= "2024-05-01". Booleans only with == and !=.
//   - Different kinds never match: a number compared with a string (or bool,
//     list...) gives false for ==, <, <=, >, >= and true for !=.
//   - NaN (a diverged loss, stored as the bare token NaN) is a number that
//     compares as IEEE 754 says: false for ==, <, <=, >, >= and true for !=,
//     so `x != y` is always `not x == y`. Infinity and -Infinity order as
//     numbers. Compare, for sorting, puts NaN after every other number.
//   - A missing key, or a null value, makes every comparison false (even !=
//     and "not in"), never an error; the exception is null itself:
//     `x == null` is true when x is missing or null, `x != null` when it is
//     present and not null, and `x in [null, 1]` is true when x is missing.
//     Note that `not x == 1` is true for a missing x, unlike `x != 1`.
//   - On a list value (such as tags), `==` means "contains", `!=` "does not
//     contain", `in` "has an element in the list", `not in` "has none", and
//     `~` "has an element matching". Ordering a list is false.
//   - `name ~ "pattern"` is a glob match with path.Match semantics
//     (* ? [a-z] \ escapes; * does not cross "/"); false for non-strings.
//   - A bare name is true when the value exists and is truthy: true, a
//     non-zero number, a non-empty string, list or map.
//
// # Errors
//
// Parse returns an *Error pointing at the problem, whose Error method gives
// the message, the expression and a caret:
//
//	expected a value after ">" at column 5
//	  lr >
//	      ^
//
// ShortError gives the first line only, Column the 1-based column.
package query
