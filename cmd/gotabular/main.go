// Command gotabular trains and serves deep-learning models for tables,
// with self-supervised pretraining on unlabelled rows. Run
// `gotabular help` for the commands.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
)

const usage = `gotabular: deep learning on tables, with self-supervised pretraining.

Usage: gotabular <command> [flags]

Commands:
  demo      pretrain on Adult census rows, fine-tune on 500 labels, compare with training from scratch
  pretrain  pretrain a self-supervised model on unlabelled rows of a CSV or Parquet file (methods: see pretrain -h)
  finetune  put a head on a pretrained model and train it on labelled rows
  fit       train a supervised model from scratch
  distil    train one network to predict what an ensemble model predicts, for fast serving
  predict   write a model's predictions for the rows of a data file
  evaluate  print a model's loss and metrics on a labelled data file
  embed     write the learned features of the rows of a data file
  inspect   describe a data file (inferred schema, per-column statistics) or a saved model
  report    write a model's report.html: training curves and validation plots
  serve     answer prediction and embedding requests for a model over HTTP
  bench     measure the engine's speed, the few-label scores, the server and the readers
  ssl list  list the self-supervised methods and their settings
  version   print the version, commit, Go version and GEMM kernel in use

The few-label workflow:
  gotabular pretrain -data unlabelled.csv -exclude income -out pretrained
  gotabular finetune -model pretrained -data labelled.csv -target income -out finetuned
  gotabular evaluate -model finetuned -data test.csv
  gotabular predict  -model finetuned -data test.csv -keep id -out predictions.csv

Run 'gotabular <command> -h' for the flags of a command.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	go func() {
		// The first Ctrl-C asks the command to stop cleanly; from then
		// on the default handling is back, so a second one ends the
		// process at once.
		<-ctx.Done()
		stop()
	}()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run executes a command line and returns the exit status: 0 on success,
// 2 for a usage error, 1 for any other failure.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmds := map[string]func(context.Context, []string, io.Writer, io.Writer) error{
		"demo": runDemo, "pretrain": runPretrain, "finetune": runFinetune, "fit": runFit,
		"predict": runPredict, "evaluate": runEvaluate, "embed": runEmbed, "bench": runBench,
		"version": runVersion, "ssl": runSSL, "report": runReport, "serve": runServe,
		"inspect": runInspect, "distil": runDistil,
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	cmd, ok := cmds[name]
	if !ok {
		fmt.Fprintf(stderr, "gotabular: unknown command %q\n\n%s", name, usage)
		return 2
	}
	err := cmd(ctx, args[1:], stdout, stderr)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	case errors.Is(err, errInterrupted):
		return 130 // as a shell reports a command stopped by Ctrl-C
	}
	fmt.Fprintf(stderr, "gotabular %s: %v\n", name, err)
	return 1
}

// errUsage marks a command-line mistake whose message was already printed.
var errUsage = errors.New("usage error")

func newFlagSet(name, help string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), help)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args and rejects stray positional arguments. The help
// text is printed for -h only: after a mistake the flag package's one-line
// message and a pointer to -h say more than a screenful of flags would.
func parseFlags(fs *flag.FlagSet, args []string) error {
	out := fs.Output()
	var buf bytes.Buffer
	fs.SetOutput(&buf)
	err := fs.Parse(args)
	fs.SetOutput(out)
	if errors.Is(err, flag.ErrHelp) {
		out.Write(buf.Bytes())
		return err
	}
	if err != nil {
		return usageError(fs, "%v", err)
	}
	if fs.NArg() > 0 {
		return usageError(fs, "unexpected argument %q (flags come as -name value)", fs.Arg(0))
	}
	return nil
}

// usageError prints a command-line mistake and returns errUsage.
func usageError(fs *flag.FlagSet, format string, args ...any) error {
	fmt.Fprintf(fs.Output(), "gotabular %s: %s\nRun 'gotabular %s -h' for help.\n", fs.Name(), fmt.Sprintf(format, args...), fs.Name())
	return errUsage
}

func splitList(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
