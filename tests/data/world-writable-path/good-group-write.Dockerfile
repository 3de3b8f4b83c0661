FROM python:3.12-slim
WORKDIR /app
COPY . .
# Group write for an arbitrary uid in group 0 (OpenShift), and a mode without `o` or `a`: +w
# goes through the umask. Neither reaches other users.
RUN chgrp -R 0 /app && chmod -R g=u /app && chmod +w /app/data && chmod 775 /app/data
USER 10001
CMD ["python", "-m", "server"]
