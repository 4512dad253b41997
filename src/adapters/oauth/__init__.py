"""Login providers (OAuth2 authorization code with PKCE), one module each, on authlib."""
