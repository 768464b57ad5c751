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

func ExampleValidate() {
	err := service.Validate([]byte("name: x\ntype: deploy\nsvc_ver: 8.0\n"))
	for _, p := range service.Problems(err)[:2] {
		fmt.Printf("line %d: %v\n", p.Line, p)
	}
	// Output:
	// line 3: svc_ver: 8.0 is read as a float, not a string (fix: quote it: svc_ver: "8.0")
	// line 0: svc_category: is required (fix: give the portal category, e.g. VMware)
}
