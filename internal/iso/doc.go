// Package iso reads ISO 9660 images with El Torito boot catalogs and patches them
// in place. It never rebuilds an image: a [Patch] copies the original sector by
// sector and changes only the sectors it must (file data, the size and extent
// fields of every directory record that names a changed file, the volume space
// size when data is appended). Names, dates, volume descriptors, El Torito
// entries and boot-info-tables therefore stay exactly as the vendor wrote them.
//
// The package knows nothing of ESXi. It reads the tree with its own bounded
// directory-record walker (it needs the byte position of every record, which no
// library exposes) and cross-checks the files it patches with go-diskfs, the
// independent reader it also uses to write images ([Build]).
//
// Specs: ECMA-119 (ISO 9660), El Torito 1.0, Joliet, IEEE P1282 (Rock Ridge)
// and SUSP; the boot-info-table is genisoimage's/isolinux's.
//
// Over the ~800-line guide because reading and patching share the record
// positions the walker collects; each on-disk structure has its own file
// (image.go descriptors, dirrecord.go records, eltorito.go boot catalog,
// patch.go changes, diskfs.go go-diskfs).
package iso
