package bind

import (
	"context"

	"github.com/parley-im/parley/integration/api"
	"github.com/parley-im/parley/integration/configuration"
)

// Configuration describes ConfigurationService (seed chapter 3,
// "Configuration Services") over c. Its outcomes are all status codes
// (Table 3-16) in the response; service URLs in it are built from the
// URL the client reached the server at.
func Configuration(c *configuration.Service) *api.Service {
	get := func(ctx context.Context, req configuration.GetConfigurationRequest) (configuration.GetConfigurationResponse, error) {
		return c.GetConfiguration(ctx, api.BaseURL(ctx), req)
	}
	return &api.Service{
		Name: "ConfigurationService",
		Doc:  "Configuration entries of the deployment (Table 3-12), by fullname or by namespace and property name.",
		Operations: []*api.Operation{
			api.NewOperation("getConfiguration",
				"Returns the values of the requested configuration entries (all entries under the namespace when properties is empty). statusCode: 0 NO_ERROR, 4 INVALID_SITE_ID, 1032 NOT_AUTHORIZED, 1090 UNEXPECTED_ERROR; an unknown entry has a null value and is named in statusDetails.",
				get, "GetConfigurationRequest: entityID, entityToken, optional namespace, properties (names relative to the namespace), adhocAttribute"),
		},
	}
}
