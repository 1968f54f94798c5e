package main

import "github.com/spf13/cobra"

func siteCmd() *cobra.Command {
	return &cobra.Command{Use: "site", Short: "Manage integrating sites and their keys", Hidden: true}
}
