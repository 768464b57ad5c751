// Package bootcfg reads and edits ESXi boot loader configurations (BOOT.CFG,
// found at /BOOT.CFG for BIOS and /EFI/BOOT/BOOT.CFG for UEFI boots).
//
// It owns exactly one change: the kernelopt= value, edited as a list of
// whitespace-separated tokens. Every other byte of the file is kept as it was
// (other lines, comments, unknown keys, LF or CRLF endings per line, a missing
// final newline, the key's spelling, spacing around '='), because the ESXi
// loader and other components read keys this package knows nothing about, and
// a byte-identical file is the only safe way not to break them.
//
// It deliberately does not validate the file (a missing kernel= is the
// loader's problem, not ours), does not rewrite modules=, and does not read or
// write ISO images; package remaster finds the files and package iso patches
// them.
//
// The format follows the ESXi loader as observed on VMware's installer media:
// lines split on '\n', '\r' is whitespace, blank lines and '#' comments are
// ignored, the key is the text before the first '=' compared
// case-insensitively, and a later duplicate key wins.
package bootcfg
