// Package option is the one table of esxi-byoi's options: every CLI flag and
// every action input is an [Option] here, with its name (the action input's
// name, kebab-case), its CLI flags, the environment variables that supply it,
// its default, its documentation, whether it is secret, and the commands and
// action modes that use it. The CLI's flag sets, the action's input reader,
// action.yml and the README's reference tables are generated from or checked
// against [Table].
//
// Errors and messages name options through the table, never through flag
// text: an [*Error] carries the option's name, and each [Surface] renders it
// in its own terms (`--s3-bucket` on the CLI, `s3-bucket` in the action).
// Text that mentions options (a message, a fix, a skip reason, a doc) writes
// `{s3-bucket}`, which [Surface.Expand] replaces with the surface's name for
// that option.
//
// The package is a leaf: it imports only the standard library, so any
// package may return its errors.
package option
