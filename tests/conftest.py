"""Root of the test suite. eventlet must patch the world before anything else imports."""
import eventlet

eventlet.monkey_patch()
