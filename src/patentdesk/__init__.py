"""PatentDesk: an open-source patent business handling system (专利业务办理系统)."""

__version__ = "0.1.0"
