package remaster

import (
	"errors"
	"fmt"

	"github.com/esxi-byoi/esxi-byoi/internal/bootcfg"
	"github.com/esxi-byoi/esxi-byoi/internal/iso"
)

// Info is what `esxi-byoi inspect` reports about an installer ISO.
type Info struct {
	Path          string      `json:"path"`
	Size          int64       `json:"size"`
	VolumeID      string      `json:"volume_id"`
	ApplicationID string      `json:"application_id"`
	SystemID      string      `json:"system_id"`
	Version       string      `json:"esxi_version"`
	Build         string      `json:"esxi_build"`
	RockRidge     bool        `json:"rock_ridge"`
	Joliet        bool        `json:"joliet"`
	Files         int         `json:"files"`
	BootCatalog   string      `json:"boot_catalog,omitempty"`
	Boot          []BootEntry `json:"el_torito"`
	Configs       []Config    `json:"boot_configs"`
}

// BootEntry is one El Torito entry.
type BootEntry struct {
	Platform      string `json:"platform"`
	Emulation     string `json:"emulation"`
	Bootable      bool   `json:"bootable"`
	LoadSize      uint16 `json:"load_size"` // 512-byte sectors
	LoadRBA       uint32 `json:"load_rba"`
	File          string `json:"file"`
	BootInfoTable string `json:"boot_info_table,omitempty"` // "valid", "stale" or ""
}

// Config is one boot configuration.
type Config struct {
	Path string `json:"path"`
	// Kernelopt is the effective kernelopt value; nil (JSON null) when the
	// file has no kernelopt= line, "" when the line is there but empty.
	Kernelopt *string `json:"kernelopt"`
	Found     bool    `json:"found"`
}

// Inspect reads an ISO's identity, boot catalog and boot configurations.
func Inspect(path string) (*Info, error) {
	src, err := openSource(path)
	if err != nil {
		return nil, err
	}
	defer src.file.Close()
	img := src.img
	info := &Info{
		Path: path, Size: img.Size(), VolumeID: img.Primary.VolumeID,
		ApplicationID: img.Primary.ApplicationID, SystemID: img.Primary.SystemID,
		RockRidge: img.RockRidge, Files: len(img.Files()),
	}
	for _, d := range img.Descriptors {
		info.Joliet = info.Joliet || d.Joliet
	}
	if img.Boot != nil {
		info.BootCatalog = img.Boot.Path
		for _, e := range img.Boot.Entries {
			be := BootEntry{
				Platform: iso.PlatformName(e.Platform), Emulation: iso.EmulationName(e.Emulation),
				Bootable: e.Bootable, LoadSize: e.LoadSize, LoadRBA: e.LoadRBA, File: e.File,
			}
			if e.InfoTable != nil {
				be.BootInfoTable = "stale"
				if e.InfoTable.Valid {
					be.BootInfoTable = "valid"
				}
			}
			info.Boot = append(info.Boot, be)
		}
	}
	var parsed []*bootcfg.File
	for _, p := range []string{BIOSConfig, UEFIConfig} {
		c := Config{Path: p}
		for _, cf := range src.configs {
			if cf.Path != p {
				continue
			}
			data, err := img.ReadFile(cf)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			bc := bootcfg.Parse(data)
			parsed = append(parsed, bc)
			c.Found = true
			switch v, err := bc.Kernelopt(); {
			case err == nil:
				c.Kernelopt = &v
			case !errors.Is(err, bootcfg.ErrNoKernelopt):
				return nil, fmt.Errorf("%s: %s: %w", path, p, err)
			}
		}
		info.Configs = append(info.Configs, c)
	}
	info.Version, info.Build = version(parsed, info.VolumeID)
	return info, nil
}
