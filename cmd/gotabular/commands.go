package main

import (
	"context"
	"io"
)

func runPretrain(ctx context.Context, args []string, stdout, stderr io.Writer) error { return nil }
func runFinetune(ctx context.Context, args []string, stdout, stderr io.Writer) error { return nil }
func runFit(ctx context.Context, args []string, stdout, stderr io.Writer) error      { return nil }
func runPredict(ctx context.Context, args []string, stdout, stderr io.Writer) error  { return nil }
func runEvaluate(ctx context.Context, args []string, stdout, stderr io.Writer) error { return nil }
func runEmbed(ctx context.Context, args []string, stdout, stderr io.Writer) error    { return nil }
