package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
	"text/tabwriter"

	"github.com/gotabular/gotabular/ssl"
	"github.com/gotabular/gotabular/tensor"
)

const versionHelp = `Usage: gotabular version [-json]

Prints what this binary is: the module version (a tag for a binary made
by 'go install ...@version', "(devel)" for one built from a checkout),
the version-control commit it was built from and whether the checkout had
changes, the Go version, and the GEMM kernel the engine runs on this CPU:
avx512 or avx2 (assembly micro-kernels), or go (the portable kernels,
several times slower). Quote it in a bug report, and check the kernel
when training is slower than expected.

Flags:
`

// versionInfo is what version prints.
type versionInfo struct {
	Module   string `json:"module"`
	Version  string `json:"version"`
	Commit   string `json:"commit,omitempty"`
	Time     string `json:"commit_time,omitempty"`
	Modified bool   `json:"modified,omitempty"`
	Go       string `json:"go"`
	Platform string `json:"platform"`
	Kernel   string `json:"kernel"`
}

// kernelNames describes the kernel families for people.
var kernelNames = map[string]string{
	"avx512": "AVX-512 assembly",
	"avx2":   "AVX2+FMA assembly",
	"go":     "portable Go",
}

func runVersion(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("version", versionHelp, stderr)
	asJSON := fs.Bool("json", false, "print the information as one JSON object")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	v := buildVersion()
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "module\t%s %s\n", v.Module, v.Version)
	commit := "unknown (built without version control information)"
	if v.Commit != "" {
		commit = v.Commit
		if v.Time != "" {
			commit += " (" + v.Time + ")"
		}
		if v.Modified {
			commit += ", with uncommitted changes"
		}
	}
	fmt.Fprintf(tw, "commit\t%s\n", commit)
	fmt.Fprintf(tw, "go\t%s %s\n", v.Go, v.Platform)
	fmt.Fprintf(tw, "kernel\t%s (%s GEMM micro-kernels)\n", v.Kernel, kernelNames[v.Kernel])
	return tw.Flush()
}

// buildVersion reads the build information the Go toolchain embeds.
func buildVersion() versionInfo {
	v := versionInfo{Module: "github.com/gotabular/gotabular", Version: "unknown", Go: runtime.Version(),
		Platform: runtime.GOOS + "/" + runtime.GOARCH, Kernel: tensor.Kernel()}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	if bi.Main.Path != "" {
		v.Module = bi.Main.Path
	}
	if bi.Main.Version != "" {
		v.Version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Commit = s.Value
		case "vcs.time":
			v.Time = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		}
	}
	return v
}

const sslHelp = `Usage: gotabular ssl list [-json]

Lists the self-supervised methods that pretrain can use, with each one's
own settings: the key in the model section of a -config file, the flag
of 'gotabular pretrain', the default and what it does. Every method also
takes the shared settings (encoder, decoder, embedding, learning rate,
seed), described by 'gotabular pretrain -h'.

Example:
  gotabular ssl list
  gotabular pretrain -data rows.csv -method scarf -corruption-rate 0.5 -out pretrained

Flags:
`

// methodInfo is a method as ssl list -json prints it.
type methodInfo struct {
	Name     string        `json:"name"`
	Aliases  []string      `json:"aliases,omitempty"`
	Summary  string        `json:"summary"`
	Default  bool          `json:"default,omitempty"`
	Settings []settingInfo `json:"settings"`
}

type settingInfo struct {
	Key     string `json:"key"`
	Flag    string `json:"flag"`
	Type    string `json:"type"`
	Default any    `json:"default"`
	Help    string `json:"help"`
	text    string // the default as the flag takes it
}

func runSSL(_ context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "list" {
		fs := newFlagSet("ssl", sslHelp, stderr)
		fs.Bool("json", false, "print the methods as a JSON array")
		if len(args) > 0 && strings.HasPrefix(args[0], "-") {
			if err := parseFlags(fs, args); err != nil {
				return err
			}
		}
		if len(args) == 0 {
			return usageError(fs, "which subcommand? The one there is: list")
		}
		return usageError(fs, "unknown subcommand %q; the one there is: list", args[0])
	}
	fs := newFlagSet("ssl", sslHelp, stderr)
	asJSON := fs.Bool("json", false, "print the methods as a JSON array")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	methods, err := listMethods()
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(methods)
	}
	for i, m := range methods {
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		label := m.Name
		if len(m.Aliases) > 0 {
			label += " (" + strings.Join(m.Aliases, ", ") + ")"
		}
		if m.Default {
			label += ", the default"
		}
		fmt.Fprintln(stdout, label)
		var b strings.Builder
		wrap(&b, "  ", m.Summary, 76)
		fmt.Fprint(stdout, b.String())
		if len(m.Settings) == 0 {
			fmt.Fprintln(stdout, "  No settings of its own.")
			continue
		}
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  key\tflag\tdefault\tmeaning")
		for _, s := range m.Settings {
			fmt.Fprintf(tw, "  %s\t-%s\t%s\t%s\n", s.Key, s.Flag, cmp.Or(s.text, "(none)"), s.Help)
		}
		tw.Flush()
	}
	return nil
}

// listMethods describes the registered methods at their defaults.
func listMethods() ([]methodInfo, error) {
	def, err := ssl.Lookup(defaultMethod)
	if err != nil {
		return nil, err
	}
	var out []methodInfo
	for _, m := range ssl.Methods() {
		e, err := ssl.Edit(m.New())
		if err != nil {
			return nil, fmt.Errorf("method %s: %w", m.Name, err)
		}
		mi := methodInfo{Name: m.Name, Aliases: m.Aliases, Summary: m.Summary, Default: m.Name == def.Name, Settings: []settingInfo{}}
		for _, s := range e.Settings() {
			mi.Settings = append(mi.Settings, settingInfo{Key: s.Key, Flag: s.Flag, Type: s.Type().String(), Default: s.Value(), Help: s.Help, text: s.String()})
		}
		out = append(out, mi)
	}
	return out, nil
}
