// Command stage builds the deploy folder of every function of
// queue.Functions, as the Cloud Functions Go buildpack wants it: a module
// whose root package holds the function. For a function in
// functions/<pkg> it writes
//
//	<out>/<pkg>/go.mod, go.sum        the repository's, unchanged
//	<out>/<pkg>/function.go           a generated root package that
//	                                  blank-imports functions/<pkg>
//	<out>/<pkg>/functions/<pkg>/…     the function's package
//	<out>/<pkg>/shared/…              only the shared packages it needs
//
// and <out>/<pkg>.zip, a deterministic archive of that folder (entries
// sorted, fixed timestamps and permissions): the same source gives the
// same bytes, so the zip's sha256 names a build. Test files are left out.
// Which packages a function needs comes from `go list -deps` for
// linux/amd64, the platform the functions run on.
//
// Usage (from the repository root; scripts/stage-functions.sh wraps it):
//
//	go run ./scripts/stage [-out .build] [package ...]
package main

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"contentfactory.dev/factory/shared/queue"
)

// rootPackage names the generated root package. The buildpack imports
// <module>/<name> instead of <module> when a folder of that name sits at
// the root, so it must not be the name of a top-level folder.
const rootPackage = "factory"

// rootFile is the generated root package's file.
const rootFile = "function.go"

// frameworkFunctions is the package a root package must import for the
// buildpack to treat its functions as declaratively registered.
const frameworkFunctions = "github.com/GoogleCloudPlatform/functions-framework-go/functions"

// zipTime is every archive entry's modification time (the earliest a
// zip's MS-DOS date can hold).
var zipTime = time.Date(1980, time.January, 1, 0, 0, 0, 0, time.UTC)

func main() {
	out := flag.String("out", ".build", "folder to write the deploy folders and zips to")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: stage [-out DIR] [package ...]\n\nStages every function of queue.Functions, or the named packages.\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if err := run(*out, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "stage:", err)
		os.Exit(1)
	}
}

func run(out string, only []string) error {
	root, module, err := moduleRoot()
	if err != nil {
		return err
	}
	fns, err := selectFunctions(only)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	for _, f := range fns {
		dir := filepath.Join(out, f.Package)
		if err := stage(root, module, f, dir); err != nil {
			return fmt.Errorf("stage %s: %w", f.Name, err)
		}
		sum, err := writeZip(dir, dir+".zip")
		if err != nil {
			return fmt.Errorf("zip %s: %w", f.Name, err)
		}
		fmt.Printf("%-16s %s.zip  sha256:%s\n", f.Name, dir, sum)
	}
	return nil
}

// selectFunctions returns the functions to stage: all of them, or those
// whose package or name is listed.
func selectFunctions(only []string) ([]queue.Function, error) {
	if len(only) == 0 {
		return queue.Functions, nil
	}
	var fns []queue.Function
	for _, name := range only {
		i := slices.IndexFunc(queue.Functions, func(f queue.Function) bool { return f.Package == name || f.Name == name })
		if i < 0 {
			return nil, fmt.Errorf("%q is not a function of queue.Functions", name)
		}
		fns = append(fns, queue.Functions[i])
	}
	return fns, nil
}

// moduleRoot returns the main module's folder and path.
func moduleRoot() (dir, path string, err error) {
	b, err := goCmd("list", "-m", "-json")
	if err != nil {
		return "", "", err
	}
	var m struct{ Path, Dir string }
	if err := json.Unmarshal(b, &m); err != nil {
		return "", "", fmt.Errorf("go list -m: %w", err)
	}
	return m.Dir, m.Path, nil
}

// listedPackage is what stage needs of `go list -json`.
type listedPackage struct {
	ImportPath string
	Dir        string
	Name       string
	Module     *struct{ Main bool }
	GoFiles    []string
	CgoFiles   []string
	CFiles     []string
	HFiles     []string
	SFiles     []string
	SysoFiles  []string
	EmbedFiles []string
}

// deps returns the main module's packages a package needs, itself
// included, for the platform the functions run on.
func deps(pkg string) ([]listedPackage, error) {
	b, err := goCmd("list", "-deps", "-json=ImportPath,Dir,Name,Module,GoFiles,CgoFiles,CFiles,HFiles,SFiles,SysoFiles,EmbedFiles", pkg)
	if err != nil {
		return nil, err
	}
	var pkgs []listedPackage
	dec := json.NewDecoder(bytes.NewReader(b))
	for {
		var p listedPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("go list -deps %s: %w", pkg, err)
		}
		if p.Module != nil && p.Module.Main {
			pkgs = append(pkgs, p)
		}
	}
	return pkgs, nil
}

// stage writes the deploy folder of one function.
func stage(root, module string, f queue.Function, dir string) error {
	if _, err := os.Stat(filepath.Join(root, rootPackage)); err == nil {
		return fmt.Errorf("a folder %q at the repository root would make the buildpack import it instead of the root package", rootPackage)
	}
	pkgs, err := deps("./functions/" + f.Package)
	if err != nil {
		return err
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	for _, name := range []string{"go.mod", "go.sum"} {
		if err := copyFile(filepath.Join(root, name), filepath.Join(dir, name)); err != nil {
			return err
		}
	}
	for _, p := range pkgs {
		rel, err := filepath.Rel(root, p.Dir)
		if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
			return fmt.Errorf("package %s is not below the module root", p.ImportPath)
		}
		files := slices.Concat(p.GoFiles, p.CgoFiles, p.CFiles, p.HFiles, p.SFiles, p.SysoFiles, p.EmbedFiles)
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			if err := copyFile(filepath.Join(p.Dir, name), filepath.Join(dir, rel, name)); err != nil {
				return err
			}
		}
	}
	src := fmt.Sprintf(`// Code generated by scripts/stage; DO NOT EDIT.

// Package %[1]s is the root package of the deploy folder of the function
// %[2]q: the Cloud Functions buildpack builds the module's root package,
// which registers the function by importing its package. Importing the
// framework's functions package tells the buildpack that the function is
// registered declaratively (functions.HTTP or functions.CloudEvent).
package %[1]s

import (
	_ "%[3]s"

	_ "%[4]s/functions/%[5]s"
)
`, rootPackage, f.Name, frameworkFunctions, module, f.Package)
	return os.WriteFile(filepath.Join(dir, rootFile), []byte(src), 0o644)
}

func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o644)
}

// writeZip archives a folder deterministically and returns the archive's
// sha256 in hex.
func writeZip(dir, name string) (string, error) {
	var paths []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			rel, err := filepath.Rel(dir, path)
			if err != nil {
				return err
			}
			paths = append(paths, filepath.ToSlash(rel))
		} else if !d.IsDir() {
			return fmt.Errorf("%s is neither a file nor a folder", path)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	slices.Sort(paths)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, p := range paths {
		h := &zip.FileHeader{Name: p, Method: zip.Deflate, Modified: zipTime}
		h.SetMode(0o644)
		w, err := zw.CreateHeader(h)
		if err != nil {
			return "", err
		}
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
		if err != nil {
			return "", err
		}
		if _, err := w.Write(b); err != nil {
			return "", err
		}
	}
	if err := zw.Close(); err != nil {
		return "", err
	}
	if err := os.WriteFile(name, buf.Bytes(), 0o644); err != nil {
		return "", err
	}
	sum := sha256.Sum256(buf.Bytes())
	return hex.EncodeToString(sum[:]), nil
}

// goCmd runs the go command for linux/amd64 and returns its output.
func goCmd(args ...string) ([]byte, error) {
	cmd := exec.Command("go", args...)
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=amd64", "GOFLAGS=-mod=readonly -buildvcs=false")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}
