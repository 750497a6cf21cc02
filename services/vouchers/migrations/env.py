from services.common.migrations import run_env
from services.vouchers.models import Base

run_env(Base.metadata)
