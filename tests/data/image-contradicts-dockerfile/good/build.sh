docker build -t app .     # the final stage, as reviewed
