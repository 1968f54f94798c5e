package main

import "github.com/spf13/cobra"

func roomCmd() *cobra.Command {
	return &cobra.Command{Use: "room", Short: "Manage persistent conference rooms", Hidden: true}
}
