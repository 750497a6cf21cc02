from services.common.migrations import run_env
from services.access.models import Base

run_env(Base.metadata)
