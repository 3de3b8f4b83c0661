"""Rules that judge Dockerfiles (BuildModel, ServerFacts); those that also apply to built images
(secret-in-image, sudo, SSH, root user, health check) read ImageModels too."""
