// Command factory runs the Content Factory on one machine and talks to it:
//
//	factory dev                    run the whole system locally (emulators, offline AI)
//	factory submit --topic T ...   submit a job (flags or a JSON file, --source FILE, --upload FILES, --link URLS)
//	factory watch JOB              follow a job until it ends, a progress bar per step
//	factory status [JOB]           show a job, or list your jobs
//	factory cancel JOB             cancel a job
//	factory delete JOB             erase a job and its artifacts
//	factory fetch JOB [--out DIR]  download a job's artifacts
//	factory keys create --owner N  make an API key (shown once)
//	factory analytics [--json]     the local stack's analytics (as the BigQuery views compute them)
//	factory serve                  serve the function FUNCTION_TARGET on PORT
//	factory emulators -- CMD ...   run CMD with Firestore and Pub/Sub emulators
//	factory eval [--backend B]     score a corpus of requests per format (--baseline FILE compares)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

type command struct {
	name  string
	usage string
	run   func(ctx context.Context, args []string) error
}

var commands = []command{
	{"dev", "run the whole system locally on emulators and offline AI", runDev},
	{"submit", "submit a job", runSubmit},
	{"watch", "follow a job until it ends", runWatch},
	{"status", "show a job, or list your jobs", runStatus},
	{"fetch", "download a job's artifacts", runFetch},
	{"cancel", "cancel a job: steps not started are skipped", runCancel},
	{"delete", "erase a job, its request and every artifact", runDelete},
	{"keys", "manage API keys (keys create --owner NAME)", runKeys},
	{"serve", "serve the function named by FUNCTION_TARGET on PORT", runServe},
	{"emulators", "run a command with the Firestore and Pub/Sub emulators", runEmulators},
	{"models", "check that every configured model and voice is alive (models check)", runModels},
	{"eval", "score a corpus of requests on a text backend, a table per format", runEval},
	{"analytics", "success rate per format, cost per owner per day, p95 job time and prompt versions, from the local stack's job events", runAnalytics},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := realMain(ctx, os.Args[1:])
	stop()
	var exit exitCode
	switch {
	case errors.As(err, &exit):
		os.Exit(int(exit))
	case errors.Is(err, flag.ErrHelp):
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "factory:", err)
		os.Exit(1)
	}
}

// exitCode ends the program with that status and no message.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func realMain(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage()
		if len(args) == 0 {
			return flag.ErrHelp
		}
		return nil
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(ctx, args[1:])
		}
	}
	usage()
	return fmt.Errorf("unknown command %q", args[0])
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: factory <command> [flags]\n\ncommands:")
	for _, c := range commands {
		fmt.Fprintf(os.Stderr, "  %-10s %s\n", c.name, c.usage)
	}
	fmt.Fprintln(os.Stderr, "\nRun `factory <command> -h` for a command's flags.")
}

// parse parses flags that may come before or after the positional
// arguments (`factory fetch JOB --out dir`), and returns the positionals.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}
