from meetkai_mka1.utils import *  # noqa: F403
