// Package devstack runs the whole factory on one machine with no cloud
// account: Google's Firestore and Pub/Sub emulators (from the installed
// Google Cloud CLI) as child processes, fake-gcs-server for Cloud Storage,
// the topics and push subscriptions of the deployment, and every function
// in its own process under the functions framework, as in production.
// `factory dev` and the end-to-end tests both use it.
package devstack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// Process is a child process in its own process group, so stopping it
// stops everything it started (the emulators' JVMs included).
type Process struct {
	Name string
	// Addr is host:port of what it serves.
	Addr string
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// start launches a command in its own process group with output to out.
func start(name, addr string, out io.Writer, env []string, bin string, args ...string) (*Process, error) {
	cmd := exec.Command(bin, args...)
	cmd.SysProcAttr = procAttr()
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Env = append(os.Environ(), env...)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &Process{Name: name, Addr: addr, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// Exited reports whether the process has ended, and how.
func (p *Process) Exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.err
	default:
		return false, nil
	}
}

// Stop ends the process group: SIGTERM, then SIGKILL after grace.
func (p *Process) Stop(grace time.Duration) {
	if p == nil {
		return
	}
	pgid := p.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.done
	}
	// Anything left in the group (a JVM whose parent exited) goes too.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
}

// Kill ends the process group at once, as a crash would.
func (p *Process) Kill() {
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.done
}

// FreePort returns a loopback TCP port nobody listens on now.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// SDKRoot finds the Google Cloud CLI's installation: $CLOUDSDK_ROOT, the
// usual Debian path, or the folder above the gcloud on PATH.
func SDKRoot() (string, error) {
	candidates := []string{os.Getenv("CLOUDSDK_ROOT"), "/usr/lib/google-cloud-sdk", "/usr/share/google-cloud-sdk"}
	if g, err := exec.LookPath("gcloud"); err == nil {
		if real, err := filepath.EvalSymlinks(g); err == nil {
			candidates = append(candidates, filepath.Dir(filepath.Dir(real)))
		}
	}
	for _, c := range candidates {
		if c == "" {
			continue
		}
		if _, err := os.Stat(filepath.Join(c, "platform")); err == nil {
			return c, nil
		}
	}
	return "", errors.New("the Google Cloud CLI is not installed (looked in $CLOUDSDK_ROOT, /usr/lib/google-cloud-sdk and next to gcloud); " +
		"install it with the cloud-firestore-emulator and pubsub-emulator components")
}

// StartFirestore starts the Firestore emulator on a free loopback port.
func StartFirestore(ctx context.Context, out io.Writer) (*Process, error) {
	root, err := SDKRoot()
	if err != nil {
		return nil, err
	}
	jar := filepath.Join(root, "platform", "cloud-firestore-emulator", "cloud-firestore-emulator.jar")
	if _, err := os.Stat(jar); err != nil {
		return nil, fmt.Errorf("the Firestore emulator is not installed (%s): run `gcloud components install cloud-firestore-emulator` or install google-cloud-cli-firestore-emulator", jar)
	}
	java, err := exec.LookPath("java")
	if err != nil {
		return nil, errors.New("java is not installed; the Firestore emulator needs Java 11 or later")
	}
	return startEmulator(ctx, "firestore-emulator", out, nil, func(port string) []string {
		return []string{java, "-Xmx1g", "-Duser.language=en", "-cp", jar,
			"com.google.cloud.datastore.emulator.firestore.CloudFirestore", "start", "--host=127.0.0.1", "--port=" + port}
	})
}

// StartPubSub starts the Pub/Sub emulator on a free loopback port.
func StartPubSub(ctx context.Context, out io.Writer) (*Process, error) {
	root, err := SDKRoot()
	if err != nil {
		return nil, err
	}
	bin := filepath.Join(root, "platform", "pubsub-emulator", "bin", "cloud-pubsub-emulator")
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("the Pub/Sub emulator is not installed (%s): run `gcloud components install pubsub-emulator` or install google-cloud-cli-pubsub-emulator", bin)
	}
	return startEmulator(ctx, "pubsub-emulator", out, []string{"JAVA_OPTS=-Xmx1g"}, func(port string) []string {
		return []string{bin, "--host=127.0.0.1", "--port=" + port}
	})
}

// startEmulator starts an emulator on a free loopback port (argv builds
// its command line for the port) and waits until it answers.
func startEmulator(ctx context.Context, name string, out io.Writer, env []string, argv func(port string) []string) (*Process, error) {
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	cmd := argv(strconv.Itoa(port))
	p, err := start(name, addr, out, env, cmd[0], cmd[1:]...)
	if err != nil {
		return nil, err
	}
	if err := waitOK(ctx, p, "http://"+addr+"/", 60*time.Second); err != nil {
		p.Stop(5 * time.Second)
		return nil, err
	}
	return p, nil
}

// waitOK polls url until it answers 200, the process dies or time is up.
func waitOK(ctx context.Context, p *Process, url string, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for {
		if done, err := p.Exited(); done {
			return fmt.Errorf("%s exited while starting: %v", p.Name, err)
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s did not become ready at %s within %s", p.Name, url, limit)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
