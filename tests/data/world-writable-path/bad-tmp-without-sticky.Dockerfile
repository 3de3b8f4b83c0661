FROM python:3.12-slim
# 777 clears the sticky bit: any user may delete or swap another's files in /tmp.
RUN chmod 777 /tmp
USER 10001
CMD ["python", "-m", "server"]
