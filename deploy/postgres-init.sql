-- one database per service: no service reads another's
CREATE DATABASE access;
CREATE DATABASE orders;
CREATE DATABASE vouchers;
CREATE DATABASE scores;
CREATE DATABASE billing;
