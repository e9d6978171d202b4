"""What checks run on hosts and how they read the answers: command builders and parsers, no SSH here."""
