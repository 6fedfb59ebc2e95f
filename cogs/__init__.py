"""Discord features: slash commands, buttons and scheduled loops. Thin: parse, call a service, reply."""
