"""cxpulse: streaming analytics and governance for Twilio Conversations."""

__version__ = "0.1.0"
