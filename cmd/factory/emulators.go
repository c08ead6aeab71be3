package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"time"

	"contentfactory.dev/factory/internal/devstack"
)

// runEmulators starts the Firestore and Pub/Sub emulators, runs a command
// with FIRESTORE_EMULATOR_HOST and PUBSUB_EMULATOR_HOST pointing at them,
// and stops them when it ends, whatever happens.
func runEmulators(ctx context.Context, args []string) error {
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		return errors.New("usage: factory emulators -- COMMAND [ARGS...]")
	}
	logs, err := os.CreateTemp("", "factory-emulators-*.log")
	if err != nil {
		return err
	}
	defer logs.Close()
	started := time.Now()
	fs, err := devstack.StartFirestore(ctx, logs)
	if err != nil {
		return err
	}
	defer fs.Stop(5 * time.Second)
	ps, err := devstack.StartPubSub(ctx, logs)
	if err != nil {
		return err
	}
	defer ps.Stop(5 * time.Second)
	fmt.Fprintf(os.Stderr, "emulators ready in %.1fs: FIRESTORE_EMULATOR_HOST=%s PUBSUB_EMULATOR_HOST=%s (log %s)\n",
		time.Since(started).Seconds(), fs.Addr, ps.Addr, logs.Name())
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), "FIRESTORE_EMULATOR_HOST="+fs.Addr, "PUBSUB_EMULATOR_HOST="+ps.Addr)
	err = cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return exitCode(ee.ExitCode())
	}
	return err
}
