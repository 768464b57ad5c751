package kickstart_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/kickstart"
)

func TestEUISwap(t *testing.T) {
	tests := map[string]string{
		"0025385b71b07e2f":     "2F7EB0715B382500", // Samsung OUI 00:25:38: t10 names end in ...382500
		"eui.0025385b71b07e2f": "2F7EB0715B382500",
		"EUI.00504301A2B3C4D5": "D5C4B3A201435000",
		"0123456789abcdef":     "EFCDAB8967452301",
		"ffffffffffffffff":     "FFFFFFFFFFFFFFFF",
	}
	for in, want := range tests {
		got, err := kickstart.EUISwap(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, bad := range []string{"", "eui.", "0025385b71b07e2", "0025385b71b07e2f0", "0025385b71b07e2g",
		"6e4b3a2f1d0c9b8a00a0750100003f21", "naa.600508b1001c7d3e"} {
		_, err := kickstart.EUISwap(bad)
		require.Error(t, err, bad)
	}
}

func TestIsUUID(t *testing.T) {
	for _, id := range []string{
		"600508B1001C7D3E4F5A6B7C8D9E0F12",     // NAA-6 (Smart Array logical drive)
		"600508b1001c7d3e4f5a6b7c8d9e0f12",     // any case
		"0c1d8e62-57a4-4f43-9a0e-2d6b3f1c9a77", // UUID
	} {
		require.True(t, kickstart.IsUUID(id), id)
	}
	for _, id := range []string{
		"", "naa.600508b1001c7d3e4f5a6b7c8d9e0f12", "eui.00504301a2b3c4d5", "00504301a2b3c4d5",
		"600508b1001c7d3e4f5a6b7c8d9e0f1", "600508b1001c7d3e4f5a6b7c8d9e0f1z",
		"0c1d8e62-57a4-4f43-9a0e-2d6b3f1c9a7", "0c1d8e6257a4-4f43-9a0e-2d6b3f1c9a77x",
		"{0c1d8e62-57a4-4f43-9a0e-2d6b3f1c9a77}",
	} {
		require.False(t, kickstart.IsUUID(id), id)
	}
}

func TestFuncsIsThePortalSet(t *testing.T) {
	var names []string
	for n := range kickstart.Funcs() {
		names = append(names, n)
	}
	require.ElementsMatch(t, []string{"uuid", "hasprefix", "trimprefix", "contains", "lower", "euiswap"}, names)
}

func TestFuncsArgumentOrder(t *testing.T) {
	tmpl, err := kickstart.Parse("t", []byte(
		`{{ hasprefix .Name "esx" }} {{ trimprefix .Name "esx-" }} {{ contains .Name "07" }} {{ lower "ABC" }} {{ uuid .Name }}`))
	require.NoError(t, err)
	out, err := kickstart.Render(tmpl, &kickstart.HostDef{Name: "esx-07"})
	require.NoError(t, err)
	require.Equal(t, "true 07 true abc false", string(out))
}

func ExampleEUISwap() {
	s, _ := kickstart.EUISwap("eui.0025385b71b07e2f")
	fmt.Println("t10.NVMe____Samsung_SSD_970_EVO_500GB_______________" + s)
	// Output: t10.NVMe____Samsung_SSD_970_EVO_500GB_______________2F7EB0715B382500
}
