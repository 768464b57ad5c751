package service_test

import (
	"fmt"
	"strings"

	"github.com/esxi-byoi/esxi-byoi/internal/secret"
	"github.com/esxi-byoi/esxi-byoi/internal/service"
)

func ExampleHashPassword() {
	// Pass nil for a random salt; a fixed reader only makes the example stable.
	h, err := service.HashPassword(secret.New("VMware1!"), strings.NewReader("0123456789abcdef"))
	if err != nil {
		panic(err)
	}
	fmt.Println(h[:20], len(h), service.ValidHash(h))
	// Output: $6$klmnopqrstVWXYZa$ 106 <nil>
}

func ExampleCheck() {
	for _, f := range service.Check([]byte("name: x\ntype: deploy\nsvc_ver: 8.0\nassumed_boot: na\n"))[:3] {
		fmt.Printf("line %d: %s: %v\n", f.Line, f.Severity, f)
	}
	// Output:
	// line 3: warning: svc_ver: 8.0 is read as a float, not a string; a tool that reads it as a number writes it back differently (8.10 becomes 8.1) (fix: quote it: svc_ver: "8.0")
	// line 4: warning: assumed_boot: unknown field: the portal's model has no such key, so it is not used (fix: did you mean assumed_boot_method?)
	// line 0: error: svc_category: is required (fix: give the portal category, e.g. VMware)
}
