// Command esxi-byoi turns a stock VMware ESXi installer ISO into a ready-to-import
// HPE Bare Metal OS service. All work lives in internal/; this file only wires the
// process to it.
package main

import (
	"context"
	"io"
	"log"
	"os"
	"os/signal"
	"syscall"

	"github.com/esxi-byoi/esxi-byoi/internal/cli"
)

func main() {
	// esxi-byoi never logs through the standard logger; a library that does
	// (transfermanager on a failed CompleteMultipartUpload) would put stray
	// lines into our one-line errors. Keep them for debugging only.
	if os.Getenv("ESXI_BYOI_DEBUG") == "" {
		log.SetOutput(io.Discard)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}
