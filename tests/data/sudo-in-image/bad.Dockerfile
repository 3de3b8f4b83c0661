FROM debian:12-slim
RUN apt-get update && apt-get install -y sudo && echo "app ALL=(ALL) NOPASSWD:ALL" >> /etc/sudoers
USER app
