package iso

import (
	"fmt"
	"slices"
	"sort"
)

// File is one regular file as seen across every tree of the image.
type File struct {
	Path    string    // normalized path, "/EFI/BOOT/BOOT.CFG"
	Extent  uint32    // first sector of the data
	Size    int64     // bytes
	Records []*Record // every record naming the file, in all trees
	// Links are the other primary-tree paths whose records point at the same
	// data (hard links, which genisoimage writes as one extent). Records
	// holds their records too, so a Replace changes every name at once.
	Links []string
}

// Lookup finds a regular file by path, case-insensitively and with ";N"
// stripped. Records in the Joliet or ISO 9660:1999 trees are matched to the
// primary record by extent, because their names may differ (long names).
// Other primary-tree names of the same data and size are hard links (see
// [File.Links]); the same extent with another size is refused.
func (img *Image) Lookup(p string) (*File, error) {
	key := Normalize(p)
	recs := img.Trees[0].Entries[key]
	if len(recs) == 0 {
		return nil, fmt.Errorf("%s: %w", p, ErrNotFound)
	}
	prim := recs[0]
	if len(recs) > 1 || prim.Flags&flagMultiExtent != 0 {
		return nil, unsupported("%s is stored in more than one extent", key)
	}
	f := &File{Path: key, Extent: prim.Extent, Size: int64(prim.Size), Records: []*Record{prim}}
	for _, t := range img.Trees {
		for q, rs := range t.Entries {
			for _, r := range rs {
				if r == prim {
					continue
				}
				same := r.Extent == prim.Extent && prim.Size > 0
				if prim.Size == 0 {
					same = q == key
				}
				if !same {
					continue
				}
				if t == img.Trees[0] {
					if r.Size != prim.Size || r.Flags&flagMultiExtent != 0 || len(rs) > 1 {
						return nil, unsupported("%s shares its data with %s, which has another size or layout", key, q)
					}
					if !slices.Contains(f.Links, q) {
						f.Links = append(f.Links, q)
					}
					f.Records = append(f.Records, r)
					continue
				}
				if r.Size != prim.Size {
					return nil, unsupported("%s has size %d in the primary tree but %d in the %s tree", key, prim.Size, r.Size, t.kind())
				}
				f.Records = append(f.Records, r)
			}
		}
	}
	sort.Slice(f.Records, func(i, j int) bool { return f.Records[i].Offset < f.Records[j].Offset })
	sort.Strings(f.Links)
	return f, nil
}

// Files lists the regular files of the primary tree in walk order.
func (img *Image) Files() []*File {
	var out []*File
	t := img.Trees[0]
	for _, p := range t.Order {
		if rs, ok := t.Entries[p]; ok {
			var size int64
			for _, r := range rs {
				size += int64(r.Size)
			}
			out = append(out, &File{Path: p, Extent: rs[0].Extent, Size: size, Records: rs})
		}
	}
	return out
}

// fileAt returns the primary-tree path whose data starts at sector s.
func (img *Image) fileAt(s uint32) (string, *Record) {
	t := img.Trees[0]
	for _, p := range t.Order {
		for _, r := range t.Entries[p] {
			if r.Extent == s && r.Size > 0 {
				return p, r
			}
		}
	}
	return "", nil
}

func (t *Tree) kind() string {
	switch {
	case t.Descriptor.Type == vdPrimary:
		return "primary"
	case t.Descriptor.Joliet:
		return "Joliet"
	default:
		return "supplementary"
	}
}
