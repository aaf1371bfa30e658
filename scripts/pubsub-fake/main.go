// Command pubsub-fake runs Google's in-memory Pub/Sub server (pstest) for Beamline's bridge tests
// and benchmark. It listens on 127.0.0.1:PORT (0 picks a free port), prints one line
// "PUBSUB_EMULATOR_HOST=127.0.0.1:PORT" once it accepts connections, and runs until stdin closes
// it gets SIGINT/SIGTERM or, with -stdin-lifeline, stdin closes: a test that dies (even
// SIGKILLed) then leaves no fake behind.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"cloud.google.com/go/pubsub/v2/pstest"
)

func main() {
	port := flag.Int("port", 0, "TCP port on 127.0.0.1 (0 picks a free one)")
	lifeline := flag.Bool("stdin-lifeline", false, "exit when stdin closes (the parent died)")
	flag.Parse()
	srv := pstest.NewServerWithPort(*port)
	fmt.Printf("PUBSUB_EMULATOR_HOST=%s\n", srv.Addr)
	done := make(chan struct{}, 2)
	if *lifeline {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			done <- struct{}{}
		}()
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-sig
		done <- struct{}{}
	}()
	<-done
	_ = srv.Close()
}
