// Package isotest is the independent test rig for the ISO engine. It builds
// ESXi-like installer images the way VMware masters media (genisoimage or
// xorriso, Debian's real isolinux.bin, a FAT EFIBOOT.IMG holding a GRUB EFI
// binary), judges written images with tools that share no code with ours
// (xorriso, osirrox, isoinfo), and boots them in QEMU (SeaBIOS and OVMF) to read
// the kernelopt line the firmware's loader actually sees.
//
// It is imported only from _test.go files. Every helper takes a [testing.TB]
// and fails the test with a message that says what differed; a missing tool is
// a failure ("install X: run .ci/run"), never a skip, because .ci/run installs
// them all.
//
// It deliberately never parses ISO 9660 itself except for the one thing no
// tool reports: the boot-info-table inside the BIOS boot image, which is read
// from the image bytes at the extent isoinfo names.
//
// Over the ~800-line guide because it drives three independent tools and two
// firmwares; it is test-only and never linked into the binary.
package isotest
